import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokenSigner } from './access-token.signer';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKeyEntity])],
  providers: [SigningKeysRepository, SigningKeysService, AccessTokenSigner],
  exports: [SigningKeysService, AccessTokenSigner],
})
export class SigningModule {}
